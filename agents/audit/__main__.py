from agents.audit.cli import main

main()
