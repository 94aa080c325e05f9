"""The dataset's own code: its transform and the catalogue page's charts."""
