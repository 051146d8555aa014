"""``python -m qa`` runs the ``qa`` command line."""

from qa.cli import main

if __name__ == "__main__":
    main()
