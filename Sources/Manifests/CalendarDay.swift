import Foundation

/// A day as manifests write it, `YYYY-MM-DD`, read in UTC.
public struct CalendarDay: Sendable, Equatable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Parses `YYYY-MM-DD`; nil for anything else, or a day the calendar does not have.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
        guard let start = startOfDay, Self.calendar.dateComponents([.month, .day], from: start) == DateComponents(month: month, day: day)
        else { return nil }
    }

    public var description: String {
        String(format: "%04d-%02d-%02d", year, month, day)
    }

    /// The end of the day in UTC: a snooze `until` a day lasts through that day.
    public var endOfDay: Date? { startOfDay.map { $0.addingTimeInterval(86_400) } }

    private var startOfDay: Date? {
        Self.calendar.date(from: DateComponents(year: year, month: month, day: day))
    }

    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        return calendar
    }()
}
