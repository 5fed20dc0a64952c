import Testing
@testable import Training

struct ShardAssignmentTests {
    private let files = ["a.h5", "b.h5", "c.h5"]

    @Test func moreFilesThanRanksGoRoundRobin() throws {
        let parts = try (0..<2).map { try ShardAssignment(files: files, rank: $0, ranks: 2) { _ in 10 }.parts }
        #expect(parts[0].map(\.path) == ["a.h5", "c.h5"] && parts[1].map(\.path) == ["b.h5"])
        #expect(parts.joined().allSatisfy { $0.rows == nil })
    }

    @Test func fewerFilesThanRanksSplitRowsByHyperslab() throws {
        let parts = try (0..<5).map { try ShardAssignment(files: ["a.h5", "b.h5"], rank: $0, ranks: 5) { $0 == "a.h5" ? 10 : 7 }.parts[0] }
        // a.h5 is shared by ranks 0, 2, 4; b.h5 by ranks 1, 3
        #expect(parts.map(\.path) == ["a.h5", "b.h5", "a.h5", "b.h5", "a.h5"])
        #expect(parts.map(\.rows) == [0..<4, 0..<4, 4..<7, 4..<7, 7..<10])
        #expect(Set(parts.map(\.shuffleKey)).count == 5)
    }
}
