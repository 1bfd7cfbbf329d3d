"""The storefront domain's web: its pages, API and forms, and the plugin that brings them into the app."""
