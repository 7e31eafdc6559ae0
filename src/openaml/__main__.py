"""``python -m openaml`` runs the command-line interface."""

from openaml.cli import main

if __name__ == "__main__":
    main()
