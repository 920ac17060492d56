"""The audio part: the only place that imports pyo."""
