"""Running the bridge: polling, or webhook mode behind the reverse proxy; the watchers that send
risk alerts and the notification outbox (notifier.py); and a clean stop that gives back the
notices this bridge claimed and did not send."""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.channels.telegram.bridge import BOT_COMMANDS, TelegramBridge, risk_in_text
from bot.channels.telegram.client import call_with_retry
from bot.channels.telegram.notifier import release_claims, watch_alerts, watch_outcomes

logger = logging.getLogger("peerscope.telegram")

ALLOWED_UPDATES = ["message", "callback_query"]


async def serve_webhook(bridge: TelegramBridge, app):
    """Telegram POSTs updates to the reverse proxy, which forwards them here (loopback)."""
    from aiohttp import web
    from telegram import Update

    secret = bridge.config.webhook_secret

    async def receive(request: web.Request) -> web.Response:
        if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != secret:
            return web.Response(status=403)
        try:
            data = await request.json()
        except ValueError:
            return web.Response(status=400)
        await app.update_queue.put(Update.de_json(data, app.bot))
        return web.Response(text="ok")

    web_app = web.Application(client_max_size=1024 * 1024)
    web_app.router.add_post(bridge.config.webhook_path, receive)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, bridge.config.webhook_listen, bridge.config.webhook_port).start()
    await bridge.api(
        app.bot.set_webhook, url=bridge.config.webhook_url, secret_token=secret, allowed_updates=ALLOWED_UPDATES
    )
    return runner


async def serve(bridge: TelegramBridge, stop: asyncio.Event | None = None) -> None:
    """Run ``bridge`` until ``stop`` is set, or SIGINT/SIGTERM."""
    from telegram import BotCommand
    from telegram.error import TelegramError

    stop = stop or asyncio.Event()
    # load the risk check (spaCy, the note model, the encoder) before the first message,
    # so refused messages are answered at once
    await asyncio.to_thread(risk_in_text, "warm up")
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread
    app = bridge.build_application()
    await call_with_retry(app.initialize, retries=-1, delay=bridge.config.retry_delay)  # getMe
    runner = None
    watchers: list[asyncio.Task] = []
    try:
        try:
            await bridge.api(app.bot.set_my_commands, [BotCommand(n, d) for n, d in BOT_COMMANDS])
        except TelegramError as exc:
            logger.warning("telegram: could not set the command list (%s)", type(exc).__name__)
        await app.start()
        if bridge.config.webhook_url:
            runner = await serve_webhook(bridge, app)
            mode = "webhook"
        else:
            await app.updater.start_polling(
                allowed_updates=ALLOWED_UPDATES,
                bootstrap_retries=-1,
                error_callback=lambda exc: logger.warning("telegram: polling error (%s)", type(exc).__name__),
            )
            mode = "polling"
        stopping = asyncio.Event()  # the watchers finish the notice under way, then stop
        watchers.append(asyncio.create_task(watch_alerts(app.bot, bridge.config, stopping, bridge.bridge_id)))
        if bridge.config.notify_interval > 0:
            watchers.append(asyncio.create_task(watch_outcomes(app.bot, bridge.config, stopping, bridge.bridge_id)))
        logger.info(
            "telegram: bridge running (%s) as @%s, relaying to %s", mode, app.bot.username, bridge.config.rasa_url
        )
        await stop.wait()
    finally:
        logger.info("telegram: stopping")
        if watchers:
            stopping.set()
            _, late = await asyncio.wait(watchers, timeout=20)
            for watcher in late:
                watcher.cancel()
            try:  # what this bridge claimed and did not send goes to the next bridge now
                given_back = await asyncio.to_thread(release_claims, bridge.bridge_id)
                if any(given_back):
                    logger.info("telegram: gave back %d notification(s), %d alert notice(s)", *given_back)
            except Exception as exc:
                logger.warning("telegram: could not give back claimed notices (%s)", type(exc).__name__)
        if app.updater and app.updater.running:
            await app.updater.stop()
        if runner:
            await runner.cleanup()
        if app.running:
            await app.stop()
        await app.shutdown()
        await bridge.rasa.aclose()
