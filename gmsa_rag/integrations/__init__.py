"""Adapters to other frameworks. Each submodule imports its framework lazily (optional extra)."""
