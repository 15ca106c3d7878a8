"""Start, watch and stop the Rasa server and the action server as child processes.

Used by `peerscope run`, the Makefile (through `peerscope train`), bench-load and the
end-to-end tests, so all of them start the servers the same way. Rasa is run as a program;
nothing here imports it.

- process: free ports, the servers' environment, ``spawn`` (a child in its own session,
  umask 077, an owner-only log) and stopping children;
- model: the trained model and training it when its data changed;
- single: one Rasa and one action server (``ServerSet``) and their endpoints file;
- cluster: N of each behind HAProxy, with a private redis-server (``Cluster``).
"""

from bot.channels.servers.cluster import CLUSTER_LOCK_LIFETIME, HAPROXY_CONFIG, MAX_INSTANCES, Cluster, RedisServer
from bot.channels.servers.model import MODEL_NAME, TRAINING_INPUTS, model_path, train_if_needed, training_fingerprint
from bot.channels.servers.process import (
    NOT_FOR_SERVERS,
    binary,
    free_port,
    port_busy,
    port_holder,
    rasa_env,
    spawn,
    stop_child,
    stop_group,
)
from bot.channels.servers.single import ServerSet, lock_store_config, write_endpoints

__all__ = [
    "CLUSTER_LOCK_LIFETIME",
    "HAPROXY_CONFIG",
    "MAX_INSTANCES",
    "MODEL_NAME",
    "NOT_FOR_SERVERS",
    "TRAINING_INPUTS",
    "Cluster",
    "RedisServer",
    "ServerSet",
    "binary",
    "free_port",
    "lock_store_config",
    "model_path",
    "port_busy",
    "port_holder",
    "rasa_env",
    "spawn",
    "stop_child",
    "stop_group",
    "train_if_needed",
    "training_fingerprint",
    "write_endpoints",
]
