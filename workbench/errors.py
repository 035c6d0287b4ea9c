"""Exceptions the user can act on; each message says what to do."""


class WorkbenchError(Exception):
    """Base class for errors raised by the workbench."""


class ConfigError(WorkbenchError):
    """Settings are missing or inconsistent."""


class ClusterError(WorkbenchError):
    """The local engine could not be fetched, started, inspected or stopped."""


class JavaNotFoundError(ClusterError):
    """No Java runtime able to run Elasticsearch was found."""


class PortInUseError(ClusterError):
    """A port the local engine needs is held by a process the workbench did not start."""


class DownloadError(ClusterError):
    """The Elasticsearch distribution could not be downloaded or verified."""


class CapabilityMissingError(WorkbenchError):
    """The connected cluster lacks a feature a step needs."""
