from council.cli import main

main(prog_name="council")
