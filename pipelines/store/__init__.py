"""The Rasad store: engines, column types, SQL files read into frames, the one MetaData, migrations."""
