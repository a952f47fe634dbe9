/// The simulators by the PSA's kind name (`halopsa`, `connectwise`, `autotask`, as a connection's kind).
public enum PSASimulators {
    public static let kinds = ["halopsa", "connectwise", "autotask"]

    public static func make(_ kind: String, seed: PSASeed = .contoso) -> (any PSASimulation)? {
        switch kind {
        case "halopsa": HaloPSASimulator(seed: seed)
        case "connectwise": ConnectWiseSimulator(seed: seed)
        case "autotask": AutotaskSimulator(seed: seed)
        default: nil
        }
    }
}
