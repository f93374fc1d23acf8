"""``python -m grading.release [ASSIGNMENT ...]``: regenerate notebooks/ from solutions/."""
import sys

from grading.course import assignments, release

if __name__ == "__main__":
    for name in sys.argv[1:] or assignments():
        print(f"releasing {name} -> {release(name)}")
