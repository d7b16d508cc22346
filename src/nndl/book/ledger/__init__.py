"""The ledger: every result the book reports, reproduced by one command each, side by side.

``nndl.book.ledger`` holds one :class:`~nndl.book.ledger.entries.Entry` per
experiment of *Neural Networks and Deep Learning* — chapter and section, the
book's words for the setting, its figure exactly as printed, the nndl command
or :mod:`nndl.book` session that runs it, the measure (which accuracy, over
which epochs) and how long a run takes here — and a runner::

    python3 -m nndl.book.ledger run [--quick] [--only ID] [--seeds 0,1,2]

which runs the entries as subprocesses, keeps every log under
``docs/results/ledger/``, reads nndl's number back from each log
(:mod:`~nndl.book.ledger.parse`) and writes ``docs/ledger.md``
(:mod:`~nndl.book.ledger.report`).  ``--quick`` runs every entry on the
bundled sample for an epoch or two, into ``build/ledger-quick/``: a check that
every command still runs and prints what the ledger reads.

=====================  ==========================================================
``entries``            the data: :data:`~nndl.book.ledger.entries.ENTRIES`
``runner``             one entry and seed as subprocesses, into one log
``parse``              nndl's number from a log, per measure
``report``             the Markdown ledger from the logs
``baselines``          the book's average-darkness and SVM baselines
=====================  ==========================================================
"""
