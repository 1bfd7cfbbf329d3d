"""What every page and endpoint shares: plugins and the app they assemble, dependencies,
responses, templates, assets and inputs."""
