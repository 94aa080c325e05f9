"""Validate the raw deliveries of the Paris digital-inclusion programmes and publish open data."""

__version__ = "0.1.0"
