// Re-exports of the Kubeloom components, one ComponentResource per file.
export * from "./CiliumInstall";
export * from "./CiliumNodes";
export * from "./ClusterMesh";
export * from "./K3sHost";
export * from "./KubectlCheck";
export * from "./KindCluster";
export * from "./MeshDemo";
export * from "./MeshServices";
export * from "./MetalLB";
export * from "./VCluster";
