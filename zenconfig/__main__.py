from zenconfig.cli import main

main()
