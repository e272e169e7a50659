import RoomkeeperCLI

await Roomkeeper.execute()
