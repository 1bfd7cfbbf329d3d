"""Operations, plugged into the app."""
