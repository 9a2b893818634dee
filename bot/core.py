"""The facade adapters talk to: one object that owns the store, the watchlist
registry and the matcher, and turns chat text into a :class:`Reply`."""
