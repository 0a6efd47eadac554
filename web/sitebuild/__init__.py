"""The build behind `python build.py`: assemble pynet's static site, the digits file, and serve it.

One module a job; `build.py` at the repository's root is only the command-line entry (`cli.main`):

- common:      paths, the build's error type, logging, hashing, the download cache directory
- vendor:      the files the site takes from node_modules (Pyodide's runtime, uPlot, TF.js)
- packages:    Pyodide packages (NumPy...) from a chain of sources, each verified against Pyodide's lock
- pynet_wheel: the pynet wheel, by a standard PEP 517 build
- pyc:         Python archives compiled to bytecode for Pyodide's Python 3.12
- lockfile:    the site's pyodide-lock.json: Pyodide's lock with the shipped archives and pynet
- digits:      the MNIST digits file
- offline:     the service worker, stamped with the list of files it keeps for offline use
- site:        the incremental, stamped steps that assemble the site
- serve:       the development server (COOP/COEP, Content-Security-Policy, caching headers)
- cli:         the command line

This directory sits in web/ but is not part of the site: the web step copies everything else.
"""
