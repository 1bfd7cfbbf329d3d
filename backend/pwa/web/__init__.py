"""The installable app, plugged into the app."""
