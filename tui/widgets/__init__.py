"""Widgets of the dashboard; each shows one piece of data and sends messages up."""
