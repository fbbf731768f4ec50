"""Canary and shadow: judge a challenger against the champion on the same live traffic."""
