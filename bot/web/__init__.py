"""The supervisor console: a small server-rendered web app over the same bot/ services
and access rules as the chat and the command line (`peerscope web`)."""
