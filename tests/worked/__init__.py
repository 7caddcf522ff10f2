"""Hand-worked fixture tables shared by the tests of several layers (metrics, views, notebooks):
each module holds one story's tables and builders, with the answers worked out in its comments."""
