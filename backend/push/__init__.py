"""Web Push: VAPID keys, subscriptions and their kinds, the dispatcher and its sender."""
