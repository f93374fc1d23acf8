"""``python -m grading.release [ASSIGNMENT ...]``: the same as ``course release``.

Kept only while notebooks 09 and 10 are being written with this command; remove it then.
"""
import sys

from grading import cli

if __name__ == "__main__":
    sys.exit(cli.main(["release", *sys.argv[1:]]))
