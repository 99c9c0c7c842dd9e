"""smartnode: the federated server of one national node of the Smart cooperative."""

__version__ = "0.1.0"
