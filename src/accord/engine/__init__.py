"""Engines that run compiled plans where the data lives."""
