"""gmsa_rag: question answering over your documents with GMSA context compression."""

from gmsa_rag.config import GMSAConfig
from gmsa_rag.errors import GMSAError

__version__ = "0.1.0"

__all__ = ["GMSAConfig", "GMSAError", "__version__"]
