"""Index design as code: component and index templates, aliases, rollover, conflicts."""
