"""The question bank: source formats, SQLite storage and building."""
