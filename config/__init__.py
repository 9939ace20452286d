"""config package: settings from the environment and logging; the leaf every layer may import."""
