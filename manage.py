#!/usr/bin/env python
from kameng.cli import main

if __name__ == "__main__":
    main()
