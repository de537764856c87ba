# Shared pytest setup: the harness plugin starts real servers on 127.0.0.1 on demand.
pytest_plugins = ["harness.plugin", "harness.plugin_nginx", "harness.plugin_acme"]
