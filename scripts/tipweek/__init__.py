"""tipweek: a static knowledge base and tip-of-the-week publisher for customer-service advice."""

__version__ = "0.1.0"
