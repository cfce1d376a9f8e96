"""The shells screen: one embedded terminal tab per SSH session."""
