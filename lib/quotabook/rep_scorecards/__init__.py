"""The rep scorecards page (07_rep_scorecards): one card per rep across themes (attainment, activity, win rate,
Commit trust): ``data``, ``charts``, ``text``.
"""
