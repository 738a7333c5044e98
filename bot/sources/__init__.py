"""HTTP adapters for the data providers: one module per provider, all built on sources.http."""
