"""The pieces of the cluster that need no servers: the Redis URL setting, the endpoints file a
Rasa instance gets, and the addresses HAProxy is given."""

from __future__ import annotations

import pytest
import yaml

from bot.channels.servers import Cluster, write_endpoints
from bot.settings import SettingError, load, redis_lock_store


def test_the_redis_url_becomes_rasas_redis_lock_store():
    assert redis_lock_store("redis://127.0.0.1:6390/3") == {
        "type": "redis",
        "url": "127.0.0.1",
        "port": 6390,
        "db": 3,
        "key_prefix": "peerscope",
    }
    assert redis_lock_store("rediss://:s%40cret@10.0.0.4") == {
        "type": "redis",
        "url": "10.0.0.4",
        "port": 6379,
        "db": 1,
        "key_prefix": "peerscope",
        "password": "s@cret",
        "use_ssl": True,
    }
    for bad in ("127.0.0.1:6379", "redis://host:port/1", "redis://host/one", "http://host/1"):
        with pytest.raises(SettingError, match="^PEERSCOPE_REDIS_URL must be a URL such as redis://"):
            load({"PEERSCOPE_REDIS_URL": bad})


def test_the_endpoints_file_has_the_lock_store_only_with_a_redis_url(tmp_path, monkeypatch):
    monkeypatch.setenv("PEERSCOPE_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("PEERSCOPE_REDIS_URL", raising=False)
    plain = yaml.safe_load(write_endpoints(tmp_path / "a.yml", "http://127.0.0.1:7000/webhook").read_text())
    assert "lock_store" not in plain and plain["action_endpoint"]["url"] == "http://127.0.0.1:7000/webhook"
    path = write_endpoints(tmp_path / "b.yml", "http://lb:5055/webhook", env={"PEERSCOPE_REDIS_URL": "redis://r:1/2"})
    config = yaml.safe_load(path.read_text())
    assert config["lock_store"] == {"type": "redis", "url": "r", "port": 1, "db": 2, "key_prefix": "peerscope"}
    assert config["tracker_store"]["type"] == "addons.tracker_store.PeerScopeTrackerStore"
    assert path.stat().st_mode & 0o077 == 0  # it holds the action token


def test_a_cluster_gives_haproxy_every_instance():
    with pytest.raises(ValueError, match="1-8"):
        Cluster(instances=9)
    cluster = Cluster(instances=3, port=15005, action_port=15055)
    cluster.members = [type("M", (), {"rasa_port": 100 + i, "action_port": 200 + i})() for i in range(3)]
    assert cluster.url == cluster.rasa_url == "http://127.0.0.1:15005"
    assert cluster.haproxy_env() == {
        "LB_RASA_FRONT": "127.0.0.1:15005",
        "LB_ACTIONS_FRONT": "127.0.0.1:15055",
        "LB_RASA_1": "127.0.0.1:100",
        "LB_RASA_2": "127.0.0.1:101",
        "LB_RASA_3": "127.0.0.1:102",
        "LB_ACTIONS_1": "127.0.0.1:200",
        "LB_ACTIONS_2": "127.0.0.1:201",
        "LB_ACTIONS_3": "127.0.0.1:202",
    }
