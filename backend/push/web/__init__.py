"""Web Push in the app: the key and subscriptions, the notification settings, the dispatcher's lifespan."""
