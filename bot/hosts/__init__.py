"""Git host adapters: GitHub (PyGithub), GitLab (python-gitlab) and a file-backed demo host."""
