import PortalModel

/// The Teams Rooms SKUs in Microsoft's licensing reference, "Product names and service plan
/// identifiers for licensing" (learn.microsoft.com/entra/identity/users/licensing-service-plan-reference):
/// an app reads a user's licences as SKU ids (`assignedLicenses`, group-based ones included),
/// since licence details are not available to applications (user-list-licensedetails-permissions:
/// "Application | Not supported"). Ids this table lacks are named by the tenant's own
/// `GET /subscribedSkus` (Organization.Read.All).
public enum LicensingReference {
    /// Part numbers by SKU id (lower case), for the ids checked against the reference.
    public static let partNumbers: [String: String] = [
        "4cde982a-ede4-4409-9ae6-b003453c8ea6": "Microsoft_Teams_Rooms_Pro",
        "21943e3a-2429-4f83-84c1-02735cd49e78": "Microsoft_Teams_Rooms_Pro_without_Audio_Conferencing",
        "c25e2b36-e161-4946-bef2-69239729f690": "Microsoft_Teams_Rooms_Pro_FAC",
        "6af4b3d6-14bb-4a2a-960c-6c902aad34f3": "Microsoft_Teams_Rooms_Basic",
        "50509a35-f0bd-4c5e-89ac-22f0e16a00f8": "Microsoft_Teams_Rooms_Basic_without_Audio_Conferencing",
        "a4e376bd-c61e-4618-9901-3fc0cb1b88bb": "Microsoft_Teams_Rooms_Basic_FAC",
        "4fb214cb-a430-4a91-9c91-4976763aa78f": "MTR_PREM",
        "6070a4c8-34c6-4937-8dfb-39bbc6397a60": "MEETING_ROOM",
        "295a8eb0-f78d-45c7-8b5b-1eed5ed02dff": "MCOCAP",
        "b1511558-69bd-4e1b-8270-59ca96dba0f3": "MCOCAP_GOV",
    ]

    /// The Teams Rooms licence among a resource account's SKU part numbers; the most capable
    /// wins. The whole family counts: Pro (and without Audio Conferencing, for EDU `_FAC`, for
    /// GCC), Basic and its variants, `MTR_PREM`, `MEETING_ROOM` (and `_NOAUDIOCONF`, `_GOV`,
    /// `_GOV_NOAUDIOCONF`). `MCOCAP` (and `_FACULTY`, `_GOV`) licenses Teams panels and shared
    /// devices, not a Teams Rooms system: `.shared`.
    public static func licence(partNumbers: some Sequence<String>) -> RoomLicence {
        let parts = Set(partNumbers.map { $0.uppercased() })
        if parts.contains(where: { $0.hasPrefix("MICROSOFT_TEAMS_ROOMS_PRO") }) { return .pro }
        if parts.contains("MTR_PREM") { return .premium }
        if parts.contains(where: { $0 == "MEETING_ROOM" || $0.hasPrefix("MEETING_ROOM_") }) { return .standard }
        if parts.contains(where: { $0.hasPrefix("MICROSOFT_TEAMS_ROOMS_BASIC") }) { return .basic }
        if parts.contains(where: { $0 == "MCOCAP" || $0.hasPrefix("MCOCAP_") }) { return .shared }
        return .unlicensed
    }
}
