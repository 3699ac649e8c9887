"""The exceptions gmsa_rag raises at its boundaries.

Every error a user can cause derives from :class:`GMSAError`, so callers can catch one type.
Messages name the offending value and, where there is one, the fix.
"""


class GMSAError(Exception):
    """Base class of every error gmsa_rag raises on purpose."""


class ConfigError(GMSAError, ValueError):
    """A configuration value is invalid (unknown name, out of range, inconsistent)."""


class BackboneError(GMSAError):
    """A backbone or embedder cannot be resolved or loaded."""


class InputError(GMSAError, ValueError):
    """User input (text, rate, question) cannot be processed."""


class ModelMismatchError(GMSAError):
    """Saved weights belong to another base model or configuration."""


class CheckpointError(GMSAError):
    """A saved model or training checkpoint is missing, corrupted or incompatible."""
