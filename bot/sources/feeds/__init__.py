"""Newswire and investor-relations feeds: one RSS/Atom parser, a conditional-GET reader, the IR feed list."""
