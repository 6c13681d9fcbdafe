from seed_operator.main import main

main()
