import PortalModel

/// The kinds of manifest Roomkeeper reconciles (`apiVersion: roomkeeper/v1`).
public enum ManifestKind: String, CaseIterable, Sendable, Hashable {
    case roomGroup = "RoomGroup"
    case role = "Role"
    case roleAssignment = "RoleAssignment"
    case device = "Device"
    case updateRing = "UpdateRing"

    /// The one API version this release reads and writes.
    public static let apiVersion = "roomkeeper/v1"

    /// The plural, lower-camel name used for the kind in policy, JSON and flags: `roomGroups`.
    public var collectionName: String {
        switch self {
        case .roomGroup: "roomGroups"
        case .role: "roles"
        case .roleAssignment: "roleAssignments"
        case .device: "devices"
        case .updateRing: "updateRings"
        }
    }

    /// The shape of the kind's `spec`.
    public var specShape: ObjectShape {
        switch self {
        case .roomGroup: ManifestShapes.roomGroupSpec
        case .role: ManifestShapes.roleSpec
        case .roleAssignment: ManifestShapes.roleAssignmentSpec
        case .device: ManifestShapes.deviceSpec
        case .updateRing: ManifestShapes.updateRingSpec
        }
    }

    /// The shape of a whole document of this kind.
    public var documentShape: ObjectShape {
        switch self {
        case .roomGroup: ManifestShapes.roomGroupDocument
        case .role: ManifestShapes.roleDocument
        case .roleAssignment: ManifestShapes.roleAssignmentDocument
        case .device: ManifestShapes.deviceDocument
        case .updateRing: ManifestShapes.updateRingDocument
        }
    }

    fileprivate var uncachedDocumentShape: ObjectShape {
        ObjectShape(
            "\(rawValue) manifest",
            fields: [
                ManifestShapes.apiVersionField,
                FieldShape("kind", .string(.oneOf([rawValue])), required: true, "The kind of object declared."),
                FieldShape("metadata", .object(ManifestShapes.metadata), required: true, "Name and labels."),
                FieldShape("spec", .object(specShape), required: true, "The desired state."),
            ])
    }
}

/// The shapes of every manifest kind and of `roomkeeper.yaml`.
public enum ManifestShapes {
    static let apiVersionField = FieldShape(
        "apiVersion", .string(.oneOf([ManifestKind.apiVersion])), required: true, "Always roomkeeper/v1.")

    static let roomGroupDocument = ManifestKind.roomGroup.uncachedDocumentShape
    static let roleDocument = ManifestKind.role.uncachedDocumentShape
    static let roleAssignmentDocument = ManifestKind.roleAssignment.uncachedDocumentShape
    static let deviceDocument = ManifestKind.device.uncachedDocumentShape
    static let updateRingDocument = ManifestKind.updateRing.uncachedDocumentShape

    static let displayName = FieldShape(
        "displayName", .string(.text(maximumLength: 256)), required: true, "The name people see in the portal.")
    static let description = FieldShape(
        "description", .string(.text(maximumLength: 1024)), "Free text shown in the portal.")

    static let metadata = ObjectShape(
        "metadata",
        fields: [
            FieldShape(
                "name", .string(.dnsLabel), required: true,
                "The object's identity in git: a lower-case DNS label, unique per kind."),
            FieldShape("labels", .stringMap, "Free-form labels for people and selectors."),
            FieldShape(
                "previousNames", .list(.string(.dnsLabel)),
                "Names the object had before; renaming it updates the portal object in place."),
            FieldShape(
                "protected", .boolean,
                "Protects the portal object: removing this manifest does not delete it until roomkeeper.yaml lists it as absent."),
        ])

    static let roomGroupSpec = ObjectShape(
        "RoomGroup spec",
        fields: [
            displayName, description,
            FieldShape("rooms", .list(.string(.email)), "Room resource-account addresses in the group."),
            FieldShape(
                "selector",
                .object(
                    ObjectShape(
                        "RoomGroup selector",
                        fields: [
                            FieldShape(
                                "location",
                                .object(
                                    ObjectShape(
                                        "location selector",
                                        fields: LocationPart.allCases.map {
                                            FieldShape($0.rawValue, .string(.text(maximumLength: 128)), "Inventory \($0.rawValue) to match.")
                                        })),
                                "Matches rooms by their inventory location."),
                            FieldShape("labels", .stringMap, "Matches rooms carrying all of these labels."),
                            FieldShape(
                                "roomList", .string(.text(maximumLength: 256)),
                                "Matches the rooms of a Places room list, by its address or display name (read through Microsoft Graph)."),
                        ])),
                "Adds every inventory room that matches."),
        ])

    static let roleSpec = ObjectShape(
        "Role spec",
        fields: [
            displayName, description,
            FieldShape(
                "permissions", .list(.string(.oneOf(Permission.allCases.map(\.slug))), minimumCount: 1), required: true,
                "Permission slugs from the portal's permission table, e.g. roomManagement.view."),
        ])

    static let member = ObjectShape(
        "member",
        fields: [
            FieldShape("user", .string(.email), "A user, by user principal name."),
            FieldShape("group", .string(.text(maximumLength: 256)), "A security group, by name or address."),
        ],
        exactlyOneOf: ["user", "group"])

    static let roleAssignmentSpec = ObjectShape(
        "RoleAssignment spec",
        fields: [
            FieldShape(
                "role", .string(.text(maximumLength: 80)), required: true,
                "A Role's name, or builtin:teams-rooms-pro-manager, builtin:site-lead, builtin:site-technician."),
            displayName, description,
            FieldShape("emailNotifications", .boolean, "Whether members get the portal's service e-mails. Default false."),
            FieldShape("members", .list(.object(member), minimumCount: 1), required: true, "Users and security groups."),
            FieldShape(
                "scope",
                .object(
                    ObjectShape(
                        "RoleAssignment scope",
                        fields: [
                            FieldShape("allRooms", .boolean, "Every room and room group in the tenant."),
                            FieldShape("roomGroups", .list(.string(.dnsLabel)), "RoomGroup names."),
                            FieldShape("rooms", .list(.string(.email)), "Room resource-account addresses."),
                        ])),
                required: true, "allRooms: true, or room groups and/or rooms."),
        ])

    static let deviceSpec = ObjectShape(
        "Device spec",
        fields: [
            FieldShape("room", .string(.email), required: true, "The room's resource-account address."),
            FieldShape("serialNumber", .string(.text(maximumLength: 128)), required: true, "The hardware serial number."),
            FieldShape(
                "deviceType", .string(.oneOf(DeviceType.allCases.map(\.rawValue))), required: true,
                "The kind of device: teamsRoom, collaborationBar or surfaceHub for the room's main unit; any other is a peripheral."),
            FieldShape("manufacturer", .string(.text(maximumLength: 128)), "e.g. Lenovo. With the serial number, the device's identity."),
            FieldShape("model", .string(.text(maximumLength: 128)), "e.g. ThinkSmart Core."),
            FieldShape(
                "enrollment", .string(.oneOf(DesiredEnrollment.allCases.map(\.rawValue))),
                "The room's enrollment, on its main unit only: enrolled (default) or unenrolled."),
            FieldShape(
                "replacesGroupTag", .string(.text(maximumLength: 128)),
                "A Windows main unit's Autopilot group tag of another profile (not MTR-) that apply may replace with devices.autopilotGroupTag: "
                    + "the tag exactly as Intune shows it, confirming that this device leaves that profile."),
        ])

    static let updateRingSpec = ObjectShape(
        "UpdateRing spec",
        fields: [
            displayName, description,
            FieldShape("order", .integer(UpdateRingLimits.orders), required: true, "Position in the rollout: 1 first, 9 last."),
            FieldShape("rolloutDays", .integer(0...UpdateRingLimits.maximumTotalDays), required: true, "Days to roll out."),
            FieldShape("testDays", .integer(0...UpdateRingLimits.maximumTotalDays), required: true, "Days to test before the next ring."),
            FieldShape(
                "deferralDays", .integer(0...UpdateRingLimits.maximumTotalDays),
                "Ignored, with a warning: the portal derives it from the rings before this one."),
            FieldShape("rooms", .list(.string(.email)), "Rooms in this ring."),
            FieldShape("roomGroups", .list(.string(.dnsLabel)), "RoomGroups whose rooms are in this ring."),
        ])

    static var kindSwitches: ObjectShape {
        ObjectShape(
            "kind switches",
            fields: RepositoryPolicy.manageableKinds.map {
                FieldShape($0.collectionName, .boolean, "\($0.rawValue) objects.")
            })
    }

    static var kindNameLists: ObjectShape {
        ObjectShape(
            "kind name lists",
            fields: RepositoryPolicy.manageableKinds.map {
                FieldShape($0.collectionName, .list(.string(.dnsLabel)), "\($0.rawValue) manifest names.")
            })
    }

    /// The shape of `roomkeeper.yaml`.
    public static let policyDocument = ObjectShape(
        "Policy",
        fields: [
            apiVersionField,
            FieldShape("kind", .string(.oneOf(["Policy"])), required: true, "Always Policy."),
            FieldShape(
                "spec",
                .object(
                    ObjectShape(
                        "Policy spec",
                        fields: [
                            FieldShape(
                                "portal", .object(ObjectShape("portal", fields: [FieldShape("url", .string(.url), "The portal API's base URL.")])),
                                "Not allowed: the operator chooses the portal (--portal or ROOMKEEPER_PORTAL_URL), never the repository."),
                            FieldShape("prune", .object(kindSwitches), "Kinds whose undeclared managed objects may be deleted. Default: none."),
                            FieldShape("adopt", .object(kindSwitches), "Kinds whose unmanaged objects may be taken over. Default: none."),
                            FieldShape(
                                "absent", .object(kindNameLists),
                                "Managed objects git declares gone, by kind and name: deleted even when protected or not pruned."),
                            FieldShape(
                                "deletionGuard",
                                .object(
                                    ObjectShape(
                                        "deletionGuard",
                                        fields: [
                                            FieldShape("maxDeletes", .integer(0...1_000_000), "Most objects one plan may delete. Default 10."),
                                            FieldShape(
                                                "maxDeletePercent", .integer(0...100), "Most percent of a kind one plan may delete. Default 25."),
                                        ])),
                                "Refuses mass deletions unless forced."),
                            FieldShape(
                                "ignore",
                                .list(
                                    .object(
                                        ObjectShape(
                                            "ignore rule",
                                            fields: [
                                                FieldShape(
                                                    "kind", .string(.oneOf(RepositoryPolicy.manageableKinds.map(\.rawValue))), required: true,
                                                    "The kind the rule covers."),
                                                FieldShape("names", .list(.string(.dnsLabel)), "Manifest names; all of the kind when absent."),
                                                FieldShape(
                                                    "fields", .list(.string(.text(maximumLength: 64)), minimumCount: 1), required: true,
                                                    "Spec fields to leave out of the diff."),
                                            ])), unique: false),
                                "Fields people may change in the portal."),
                            FieldShape(
                                "snooze",
                                .list(
                                    .object(
                                        ObjectShape(
                                            "snooze",
                                            fields: [
                                                FieldShape(
                                                    "target", .string(.text(maximumLength: 400)), required: true,
                                                    "The drift item's object, KIND/NAME as drift reports show it."),
                                                FieldShape("until", .string(.date), required: true, "The last day (UTC) the item stays snoozed."),
                                                FieldShape(
                                                    "reason", .string(.text(maximumLength: 1024)), required: true, "Why, for the next person."),
                                            ])), unique: false),
                                "Drift items put off until a day: reported as snoozed, not as drift."),
                            FieldShape(
                                "drift",
                                .object(
                                    ObjectShape(
                                        "drift",
                                        fields: [
                                            FieldShape(
                                                "deviceGraceHours", .integer(0...8760),
                                                "Hours a declared device may take to check in before it is reported missing. Default 48.")
                                        ])),
                                "How drift reports judge slow convergence."),
                            FieldShape(
                                "updateRings",
                                .object(
                                    ObjectShape(
                                        "updateRings",
                                        fields: [
                                            FieldShape(
                                                "countDefaultRingDays", .boolean,
                                                "Count Staging, General and Executive (14 days, Roomkeeper's reading) toward the 60-day limit. Default true."
                                            )
                                        ])),
                                "How validate reads the update rings' limits."),
                            FieldShape(
                                "devices",
                                .object(
                                    ObjectShape(
                                        "devices",
                                        fields: [
                                            FieldShape(
                                                "autopilotGroupTag", .string(.text(maximumLength: 128)),
                                                "With --graph: give the declared Windows main units this Autopilot group tag (it must start with MTR-). "
                                                    + "Unset, the default: wrong tags are only reported.")
                                        ])),
                                "What Roomkeeper may change in Intune and Autopilot."),
                        ])),
                required: true, "The policy."),
        ])
}
