"""The Telegram bridge: python-telegram-bot on one side, Rasa's REST channel on the other.

Each private message from a signed-in staff member goes to Rasa with the sender id
``telegram:<telegram user id>`` (the actions load the person's role from the database
through that id), and Rasa's replies come back as Telegram messages: buttons become an
inline keyboard, long text is split, custom payloads are rendered or skipped.

Sign-in: ``/start CODE`` with a code from ``peerscope staff invite``. Messages from
accounts that are not linked to a staff record get a polite refusal and never reach Rasa.

"export my plan", "export plan 12" and ``/export [12]`` are answered by the bridge itself,
since only it can send a file: the plan's PDF as a document, made by the export the
command line uses (bot.wrsp.export), so the read is access-checked and audited; anyone
but the plan's author, their supervisor or an admin gets a refusal.

No crisis goes unanswered: whenever the bridge answers a message itself instead of
passing on Rasa's answer (not signed in, over the rate limit, not text, Rasa down or
slow or failing, an empty answer because the action server is down, an error in the
bridge), a message with risk-of-harm language also gets CRISIS_LINE (988 and 911).
Telegram may deliver an update twice (after a timeout, or again to a bridge restarted before
it confirmed the update): a message already seen, by (chat id, message id), is dropped, so a
resend is not taken as the next answer. What must outlive the process or be shared with a
second bridge is in the database (bot/store/telegram_state.py): the updates seen, each
account's flood-control count, and button payloads too long for Telegram's callback data.

The bridge is also the one process that holds the bot token, so it sends what other
processes only record (notifier.py): risk alerts to supervisors, repeated until
acknowledged and escalated to admins (``watch_alerts``), decided notes and the
notification outbox (``watch_outcomes``).

Polling by default; webhook mode when a public webhook URL is configured (a small aiohttp
server on loopback, behind the reverse proxy that terminates TLS). Message text is never
logged: log lines carry update kinds, staff ids and exception type names only.

Run it with ``peerscope telegram`` (or ``python -m bot.channels.telegram``); ``peerscope
run`` starts it too when TELEGRAM_BOT_TOKEN is set (see start_bridge_process).

The package: client.py (the settings, Bot API calls with retries, the async Rasa client),
state.py (what the bridge keeps in the database), text.py (Rasa replies as Telegram
messages), export.py (a plan's PDF), bridge.py (the handlers: the gate, relaying, the crisis
line), runner.py (polling or webhook, the notice watchers, a clean stop), notifier.py
(messages to staff outside their chat: risk alerts, the outbox), cli.py (the command line
and the bridge as a child process) and commands.py (``peerscope telegram``).
"""
