"""Quarter-on-quarter trends of the key metrics, shown on several themes' pages (target achievement, won / lost) and
the rep scorecards: ``data`` (the trend frames), ``charts``, ``text`` (sentences and tables).
"""
