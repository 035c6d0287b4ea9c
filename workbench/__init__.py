"""commerce-workbench: analytics and operations for e-commerce on Elasticsearch."""

__version__ = "0.1.0"
